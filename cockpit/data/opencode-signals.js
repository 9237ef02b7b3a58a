// cockpit's structured signals for opencode (see docs/providers.md, "Signals").
// opencode loads this plugin through OPENCODE_CONFIG_CONTENT (the catalog's env for
// opencode) and hands it every bus event; the few that say what the session is doing are
// appended as one JSON line each to $COCKPIT_SIGNALS, which the supervisor watches:
//   session.busy / session.idle   from session.status (the status type, flattened)
//   permission.asked / .replied   a permission prompt opened ({message}) / was answered ({reply})
//   session.error                 {error: name, message}
//   prompt.submitted              {prompt: text} for the text of each user message
//   usage                         the session's totals so far: {input_tokens, output_tokens, cost_usd}
//                                 (input counts the cache; reasoning is output, as usage_parser opencode)
// It never throws into opencode.
import { appendFileSync } from "node:fs"

export const CockpitSignals = async () => {
  const file = process.env.COCKPIT_SIGNALS
  const userMessages = new Set()
  const sentParts = new Set()
  const steps = new Map()  // assistant message id -> its tokens and cost (one per model request)
  const emit = (event, payload) => {
    try {
      appendFileSync(file, JSON.stringify({ source: "event", event, payload }) + "\n")
    } catch {}
  }
  return {
    event: async ({ event }) => {
      if (!file) return
      const p = event.properties ?? {}
      switch (event.type) {
        case "session.status":
          if (p.status?.type === "busy" || p.status?.type === "idle")
            emit(`session.${p.status.type}`, { sessionID: p.sessionID })
          break
        case "permission.asked": {
          // The event comes before the TUI draws its prompt: say what the prompt will say.
          const what = [p.permission, ...(p.patterns ?? [])].filter(Boolean).join(": ")
          emit(event.type, { sessionID: p.sessionID, permission: p.permission, message: `Permission required: ${what}` })
          break
        }
        case "permission.replied":
          emit(event.type, { sessionID: p.sessionID, reply: p.reply })
          break
        case "session.error":
          emit("session.error", { sessionID: p.sessionID, error: p.error?.name, message: p.error?.data?.message })
          break
        case "message.updated": {
          const info = p.info ?? {}
          if (info.role === "user") userMessages.add(info.id)
          if (info.role === "assistant" && info.tokens && info.time?.completed && !info.summary) {
            const t = info.tokens
            steps.set(info.id, {
              input: (t.input ?? 0) + (t.cache?.read ?? 0) + (t.cache?.write ?? 0),
              output: (t.output ?? 0) + (t.reasoning ?? 0),
              cost: info.cost ?? 0,
            })
            let input = 0, output = 0, cost = 0
            for (const s of steps.values()) { input += s.input; output += s.output; cost += s.cost }
            emit("usage", { sessionID: info.sessionID, input_tokens: input, output_tokens: output, cost_usd: cost })
          }
          break
        }
        case "message.part.updated": {
          const part = p.part ?? {}
          if (part.type === "text" && !part.synthetic && userMessages.has(part.messageID) && !sentParts.has(part.id)) {
            sentParts.add(part.id)
            emit("prompt.submitted", { sessionID: part.sessionID, prompt: part.text })
          }
          break
        }
      }
    },
  }
}

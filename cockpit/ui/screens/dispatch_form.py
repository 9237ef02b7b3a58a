"""The new-dispatch form: prompt, skill, provider (from the detected ones), base, risk, gates and budget."""

from __future__ import annotations

from typing import TypedDict

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from cockpit.protocol.replies import ProviderInfo, SkillInfo
from cockpit.protocol.requests import Dispatch

RISKS = ("low", "medium", "high", "critical")


class TaskFields(TypedDict, total=False):
    """The task packet's fields the form sets (domain/task.py checks them when the dispatch is prepared)."""

    max_cost_usd: str
    max_tokens: int
    skill: str
    risk: str
    gates: list[str]


def provider_options(providers: list[ProviderInfo]) -> list[tuple[str, str]]:
    options = []
    for p in providers:
        if p.found:
            version = f" ({p.version})" if p.version else ""
            options.append((f"{p.name}{version}", p.name))
    return options


def skill_options(skills: list[SkillInfo]) -> list[tuple[str, str]]:
    """The skills that can be used (`cockpit skills` shows what each is for)."""
    return [(s.name, s.name) for s in skills if not s.problem]


def budget_fields(text: str) -> TaskFields:
    """The budget cell: blank for none, a token count (`50000`, `50k`), or dollars (`$2.50`).
    ValueError (its message says what is wrong) for anything else."""
    from cockpit.domain.budget import positive_tokens, usd_to_micro

    value = text.strip().replace(",", "").replace("_", "")
    if not value:
        return {}
    if value.startswith("$"):
        usd_to_micro(value[1:], "the budget in dollars")  # checked here, converted by the task packet
        return {"max_cost_usd": value[1:]}
    if value.lower().endswith("k") and value[:-1].isdigit():
        value = str(int(value[:-1]) * 1000)
    return {"max_tokens": positive_tokens(value, "the budget in tokens")}


def form_fields(
    prompt: str, provider: object, base: str, risk: object, gates: str, skill: object = None, budget: str = ""
) -> Dispatch:
    """The dispatch request's arguments from the form's values (blank means the default); a
    Select's value is its option's text, or Select.NULL when nothing is chosen."""
    task = budget_fields(budget)
    if isinstance(skill, str):
        task["skill"] = skill
    if isinstance(risk, str) and risk in RISKS:
        task["risk"] = risk
    names = [g.strip() for g in gates.replace(",", " ").split() if g.strip()]
    if names:
        task["gates"] = names
    return Dispatch(
        prompt=prompt,
        provider=provider if isinstance(provider, str) else None,
        base=base.strip() or None,
        task=dict(task),
    )


class DispatchForm(ModalScreen[Dispatch | None]):
    CSS_PATH = "dispatch_form.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "submit", "dispatch")]

    def __init__(self, providers: list[ProviderInfo], skills: list[SkillInfo] | None = None) -> None:
        super().__init__()
        self.options = provider_options(providers)
        self.skills = skill_options(skills or [])
        # The supervisor marks the provider a dispatch gets by default (`default_provider` in .cockpit/config.yaml).
        self.default_provider = next((p.name for p in providers if p.default), None)

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label("New dispatch", id="form-title")
            yield Label("Prompt (its first line is the title; Tab moves on)")
            yield TextArea(id="prompt", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
            yield Static("", id="form-error")
            # Focus follows this order: prompt, skill (when there are any), provider, base, risk, gates.
            with Horizontal(classes="row"):
                with Vertical(classes="cell"):
                    yield Label("Skill")
                    prompt = "none" if self.skills else "no skills"
                    yield Select(self.skills, prompt=prompt, id="skill", disabled=not self.skills)
                with Vertical(classes="cell"):
                    yield Label("Provider")
                    default = self.default_provider if any(v == self.default_provider for _, v in self.options) else Select.NULL
                    yield Select(self.options, prompt="default", id="provider", value=default)
                with Vertical(classes="cell"):
                    yield Label("Base (ref or commit)")
                    yield Input(placeholder="HEAD", id="base")
            with Horizontal(classes="row"):
                with Vertical(classes="cell"):
                    yield Label("Risk")
                    yield Select([(r, r) for r in RISKS], prompt="default (medium)", id="risk")
                with Vertical(classes="cell"):
                    yield Label("Gates (names, a,b)")
                    yield Input(placeholder="the risk's defaults", id="gates")
                with Vertical(classes="cell"):
                    yield Label("Budget (tokens or $)")
                    yield Input(placeholder="none, 50k, $2", id="budget")
            with Horizontal(id="form-buttons"):
                yield Button("Dispatch (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        for widget in self.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        self.query_one("#form-error", Static).display = False
        self.query_one("#prompt", TextArea).focus()

    def show_error(self, message: str) -> None:
        """Say what is wrong right under the prompt (plain text: it may quote what was typed)."""
        error = self.query_one("#form-error", Static)
        error.update(Text(message))
        error.display = True

    @on(TextArea.Changed, "#prompt")
    def _typed(self) -> None:
        self.query_one("#form-error", Static).display = False

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        prompt = self.query_one("#prompt", TextArea).text
        if not prompt.strip():
            self.show_error("The prompt is empty: write what the worker should do (its first line is the title).")
            self.query_one("#prompt", TextArea).focus()
            return
        try:
            fields = form_fields(
                prompt,
                self.query_one("#provider", Select).value,
                self.query_one("#base", Input).value,
                self.query_one("#risk", Select).value,
                self.query_one("#gates", Input).value,
                self.query_one("#skill", Select).value,
                self.query_one("#budget", Input).value,
            )
        except ValueError as exc:  # a budget that is not a positive number: say so, keep the form
            self.show_error(f"Budget: {exc}")
            self.query_one("#budget", Input).focus()
            return
        self.dismiss(fields)

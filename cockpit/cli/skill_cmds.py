"""Skill and prompt commands: `cockpit skills`, `cockpit prompt ID`."""

from __future__ import annotations

import argparse
import sys

from cockpit.cli.common import add_json_flag, print_json
from cockpit.service.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("skills", help="list the skills of .cockpit/skills (use one with `dispatch --skill NAME`)")
    add_json_flag(p, "the list")
    p.set_defaults(handler=cmd_skills)

    p = sub.add_parser("prompt", help="print the exact prompt a dispatch was given (a skill's composed prompt included)")
    p.add_argument("id")
    p.set_defaults(handler=cmd_prompt)


def cmd_skills(args: argparse.Namespace) -> int:
    from cockpit.service.skills import list_skills

    ws = Workspace.open(create=False)
    skills = list_skills(ws.repo.toplevel)
    if args.json:
        print_json(skills)
        return 0
    if not skills:
        print("no skills yet: a skill is a folder .cockpit/skills/NAME/ with a SKILL.md (docs/skills.md)")
        return 0
    width = max(len(str(s["name"])) for s in skills)
    for s in skills:
        if s["problem"]:
            print(f"{s['name']:<{width}}  cannot be used: {s['problem']}")
        else:
            print(f"{s['name']:<{width}}  {str(s['version'])[:12]}  {s['files']} file(s)  {s['description']}")
    return 0


def cmd_prompt(args: argparse.Namespace) -> int:
    from cockpit.service.prompts import given_prompt

    raw = given_prompt(Workspace.open(create=False), args.id)
    sys.stdout.buffer.write(raw)
    sys.stdout.buffer.flush()
    return 0

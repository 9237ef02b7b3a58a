"""The registry of offline profiles, one per CLI (each in its own profile_<cli>.py)."""

from __future__ import annotations

from cockpit.modelservice.profile_aider import AiderProfile
from cockpit.modelservice.profile_base import Profile
from cockpit.modelservice.profile_claude import ClaudeProfile
from cockpit.modelservice.profile_codex import CodexProfile
from cockpit.modelservice.profile_gemini import GeminiProfile
from cockpit.modelservice.profile_opencode import OpencodeProfile

PROFILES: dict[str, Profile] = {
    "claude": ClaudeProfile(),
    "codex": CodexProfile(),
    "gemini": GeminiProfile(),
    "aider": AiderProfile(),
    "opencode": OpencodeProfile(),
}

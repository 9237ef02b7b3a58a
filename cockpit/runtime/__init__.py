"""Adapters to the outside world: the filesystem layout, git, tmux, provider commands, gate runners."""

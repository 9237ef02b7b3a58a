"""`python -m cockpit.fake_agent`."""

from cockpit.fake_agent import main

raise SystemExit(main())

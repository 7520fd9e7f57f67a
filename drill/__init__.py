"""The scale-out drill (`make drill`): Pledge on two app servers and two workers behind nginx,
with PostgreSQL and Redis, driven by real traffic while faults are injected, then checked for
anything lost or done twice (docs/deploy.md, "The drill")."""

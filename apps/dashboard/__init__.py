"""The top floor: what needs every app at once (the home page, the demo loader, a worker
round trip). Nothing below imports it; apps/core is the ground floor and imports no app."""

"""The support console: server-rendered pages for agents, leads and admins, served at `/console`."""

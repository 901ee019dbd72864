"""The support desk's domain: conversations and their state, transcripts, escalations, feedback."""

"""Web chat: the embeddable widget over WebSocket, Rasa's socket.io protocol, the demo page."""

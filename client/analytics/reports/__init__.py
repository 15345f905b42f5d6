"""Reports computed from normalized chats: per person, across chats, and comparative."""

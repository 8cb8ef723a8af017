"""WaddleBot's Twitch collector: EventSub webhooks in, Helix chat messages out."""

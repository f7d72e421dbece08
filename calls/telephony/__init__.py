"""The Twilio edge: webhooks, stream tokens and signatures, Media Streams messages, the consumer
that connects a stream to the agent, the one Twilio REST client, and the browser phone."""

"""Channel adapters: how each real provider's messages come in (intake
through resolvers/inbox/intake.py) and go out (a ChannelSender registered
in resolvers/inbox/senders.py). The inbox knows the interface, never a
provider's wire format."""

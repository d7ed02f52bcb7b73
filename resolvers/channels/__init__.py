"""The inbox's real channels, each an adapter behind the inbox's interfaces
(intake.receive in, senders.ChannelSender out)."""

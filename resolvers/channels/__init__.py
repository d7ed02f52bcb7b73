"""Channel adapters: each provider's wire format behind the inbox's
interfaces (intake.receive, the ChannelSender registry), one package per
provider (STYLE.md "Providers behind one interface")."""

"""CSV exports of the lists (contacts, companies, deals, conversations,
tasks): the rows the list resolvers select for the caller, with their
filter and visibility, read page by page by keyset and written as CSV as
they are read, so an export of any size holds one page in memory."""

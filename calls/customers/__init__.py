"""Customers: who a workspace's bots call. `table` reads an imported list (plain Python); `services` stores,
exports, remembers and forgets them."""

"""Highlights: writing posts, likes, comments and replies, and the feeds that list them.

One module per job: `writing` (create, edit, delete), `likes`, `comments`, `feeds`
(keyset pages of posts), `ranking` (the Discover score) and `cursors`.
"""

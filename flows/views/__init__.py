"""Flow pages: the editor and its side panels, versions (publish, history, diff, restore), import and export."""

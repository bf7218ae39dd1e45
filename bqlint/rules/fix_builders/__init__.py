"""Fix builders shared by more than one rule: text edits computed from the analysed source."""

"""`meritgen vocab induce`: a vocabulary proposed from the catalog itself (pure logic; the command is
`runners/vocab_cli.py`). names: category and value spellings clustered; units: numbers with units;
attributes: which fields become attributes, their values, scope and visual flag; lexicon: the English
lexicon, template additions and the translation of the rest; report: what it could not decide."""

"""Publishing a finished export to the Hugging Face Hub (`meritgen push`): `card.py` checks and
prepares the data card for the Hub, `push.py` uploads through `huggingface_hub`."""

"""The rules that listeners and jobs share: entries, the digest, prompts, vocabulary, exports, retention."""

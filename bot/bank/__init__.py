"""The question bank: Markdown topic files parsed, validated and synced into the store."""

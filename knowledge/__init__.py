"""FAQ knowledge base: entries, the hybrid retriever and its command line.

Nothing heavy is imported here; the embedding model, FAISS and spaCy load on first use.
"""

"""viz: pictures of computational graphs (work in progress, see the README)."""

"""Pledge: a B2B company's website and everything its privacy policy describes."""

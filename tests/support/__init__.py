"""Helpers shared by the tests: real server processes and a clock the tests move."""

"""Test support shared by the test modules: fake chat models and knowledge bases, the recorded-traffic
harness, hand-built eval runs. Nothing here is a test."""

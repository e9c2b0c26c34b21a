"""Tests for the EG4 integration."""

"""Ways of reaching the hardware, all behind one small interface."""

"""The PL011 UART reference device (being written)."""

"""A virtual ESC/POS thermal printer for the tests and the demo (testkit: never imported by the product)."""
from testkit.escpos_printer.parser import Command, Parser
from testkit.escpos_printer.printer import MODES, Job, VirtualEscposPrinter

__all__ = ["MODES", "Command", "Job", "Parser", "VirtualEscposPrinter"]

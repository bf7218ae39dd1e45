"""Device / SysBusDevice: lifecycle, interrupt outputs, migration."""

from __future__ import annotations

import bql
import pytest
from bql.errors import CellRebindingError, NoSuchOutputError


class Regs:
    def __init__(self) -> None:
        self.cr = 0
        self.fifo = [0] * 4


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.irq = bql.InterruptSource()
        self.count = bql.BqlCell(0)
        self.more = [bql.InterruptSource(), bql.InterruptSource()]
        self.last = (bql.InterruptSource(),)
        self.resets = bql.BqlCell(0)

    def reset(self) -> None:
        super().reset()
        self.resets.update(lambda n: n + 1)
        with self.regs.borrow_mut() as regs:
            regs.cr = 0x300

    def read(self, offset: int, size: int) -> int:
        with self.regs.borrow() as regs:
            return regs.cr

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.cr = value
        self.irq.set(value != 0)


def test_construction_needs_no_bql():
    dev = Uart()
    assert not bql.is_locked()
    assert isinstance(dev, bql.Device)


def test_outputs_are_discovered_in_assignment_order_with_sequences_flattened():
    dev = Uart()
    assert dev.irq_outputs() == (dev.irq, *dev.more, *dev.last)


def test_connect_irq_wires_output_n():
    dev = Uart()
    lines = [bql.IRQLine() for _ in range(4)]
    for n, line in enumerate(lines):
        dev.connect_irq(n, line)
    with bql.locked():
        dev.more[1].raise_()
        dev.irq.pulse()
    assert [line.edges for line in lines] == [1, 0, 1, 0]


def test_connect_irq_out_of_range_is_a_clear_error():
    dev = Uart()
    with pytest.raises(
        NoSuchOutputError,
        match=r"Uart has no interrupt output 4: it has 4 outputs \(0..3\)",
    ) as info:
        dev.connect_irq(4, bql.IRQLine())
    assert isinstance(info.value, bql.BqlError)
    assert isinstance(info.value, IndexError)
    with pytest.raises(NoSuchOutputError):
        dev.connect_irq(-1, bql.IRQLine())


@pytest.mark.parametrize(("n", "kind"), [(True, "bool"), (1.0, "float"), ("1", "str")])
def test_connect_irq_refuses_an_output_number_that_is_not_an_int(n, kind):
    # A bool is an int to Python: True would silently wire output 1.
    dev, line = Uart(), bql.IRQLine()
    with pytest.raises(TypeError) as info:
        dev.connect_irq(n, line)
    assert str(info.value) == f"an interrupt output number is an int, not {kind}"
    with bql.locked():
        for output in dev.irq_outputs():
            output.raise_()
    assert (line.level, line.edges) == (False, 0)  # wired to nothing


def test_connect_irq_before_or_after_realize(bql_held):
    before, after = bql.IRQLine(), bql.IRQLine()
    dev = Uart()
    dev.connect_irq(0, before)
    dev.realize()
    dev.connect_irq(1, after)
    dev.irq.raise_()
    dev.more[0].raise_()
    assert before.level and after.level


def test_declared_order_overrides_discovery(bql_held):
    class Reversed(Uart):
        def irq_outputs(self):
            return (self.last[0], self.irq)

    dev = Reversed()
    line = bql.IRQLine()
    dev.connect_irq(0, line)
    dev.last[0].raise_()
    assert line.level


def test_a_user_device_with_one_output_just_works(bql_held):
    class Tiny(bql.Device):
        def __init__(self) -> None:
            self.irq = bql.InterruptSource()  # no super().__init__(): still works

    dev = Tiny()
    line = bql.IRQLine()
    dev.connect_irq(0, line)
    dev.realize()
    assert dev.realized
    dev.irq.raise_()
    assert line.level


def test_realize_and_reset_need_the_bql():
    dev = Uart()
    with pytest.raises(bql.BqlNotHeldError, match=r"realize\(\) requires the BQL"):
        dev.realize()
    with pytest.raises(bql.BqlNotHeldError):
        dev.reset()


def test_lifecycle_as_a_board_drives_it(bql_held):
    dev = Uart()
    assert not dev.realized
    dev.realize()
    dev.reset()
    assert dev.realized
    assert dev.resets.get() == 1
    assert dev.read(0, 4) == 0x300
    dev.write(0, 5, 4)
    assert dev.read(0, 4) == 5


def test_sysbus_device_without_registers_says_so(bql_held):
    dev = bql.SysBusDevice()
    with pytest.raises(NotImplementedError):
        dev.read(0, 4)
    with pytest.raises(NotImplementedError):
        dev.write(0, 0, 4)


class Counter(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.pos = bql.BqlCell(0)
        self.fifo = bql.BqlRefCell([0, 0, 0, 0])

    def post_load(self) -> None:
        if not 0 <= self.pos.get() < len(self.fifo.borrow().value):
            raise ValueError(f"pos {self.pos.get()} out of range")


def test_default_state_round_trips(bql_held):
    dev = Counter()
    dev.pos.set(2)
    with dev.fifo.borrow_mut() as fifo:
        fifo[2] = 9
    state = dev.save_state()
    assert state == {"pos": 2, "fifo": [0, 0, 9, 0]}
    other = Counter()
    other.load_state(state)
    assert other.save_state() == state
    state["fifo"][0] = 1  # the loaded device does not share the dict's lists
    assert other.fifo.borrow().value == [0, 0, 9, 0]


class _Reg:
    """A register object with a field of its own named `value`."""

    def __init__(self, value: int, mask: int) -> None:
        self.value = value
        self.mask = mask

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reg) and (self.value, self.mask) == (other.value, other.mask)


class WithReg(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.reg = bql.BqlRefCell(_Reg(5, 0xF0))


def test_default_state_saves_and_loads_a_whole_value_with_its_own_value_field(bql_held):
    dev = WithReg()
    state = dev.save_state()
    assert state == {"reg": _Reg(5, 0xF0)}  # the object, not its `value` field
    other = WithReg()
    other.load_state({"reg": _Reg(7, 0x0F)})
    with other.reg.borrow() as reg:
        assert (reg.value, reg.mask) == (7, 0x0F)
    assert other.save_state() == {"reg": _Reg(7, 0x0F)}


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"pos": 9, "fifo": [1, 1, 1, 1]}, "pos 9 out of range"),
        ({"pos": 1}, "missing key"),
        ({"pos": 1, "fifo": [1, 1, 1, 1], "extra": 0}, "unknown key"),
        ([("pos", 1)], "is a dict"),
    ],
)
def test_invalid_state_raises_value_error_and_leaves_the_device_unchanged(
    bql_held, bad, match
):
    dev = Counter()
    dev.pos.set(1)
    before = dev.save_state()
    with pytest.raises(ValueError, match=match):
        dev.load_state(bad)
    assert dev.save_state() == before


def test_an_override_failing_half_way_is_rolled_back(bql_held):
    class Partial(Counter):
        def save_state(self):
            return {"pos": self.pos.get(), "fifo": list(self.fifo.borrow().value)}

        def apply_state(self, state):
            self.pos.set(state["pos"])
            with self.fifo.borrow_mut() as fifo:
                fifo.value = list(state["fifo"])  # KeyError when missing

    dev = Partial()
    dev.pos.set(3)
    with pytest.raises(ValueError, match="invalid migration state for Partial"):
        dev.load_state({"pos": 1})
    assert dev.pos.get() == 3


class Uncopyable:
    """A hostile value in a migration stream: copying it fails with a non-ValueError."""

    def __deepcopy__(self, memo: object) -> object:
        raise AttributeError("cannot copy")


def nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("fifo", "cause"),
    [(Uncopyable(), "AttributeError('cannot copy')"), (nested(100_000), "RecursionError(")],
)
def test_a_value_that_cannot_be_copied_is_a_value_error_naming_the_field(bql_held, fifo, cause):
    # rt14 #03, #16: nothing is written, and the message names the field.
    dev = Counter()
    dev.pos.set(1)
    with pytest.raises(ValueError) as info:
        dev.load_state({"pos": 2, "fifo": fifo})
    message = str(info.value)
    assert message.startswith("invalid migration state for Counter: field 'fifo' cannot be copied: ")
    assert cause in message
    assert dev.save_state() == {"pos": 1, "fifo": [0, 0, 0, 0]}


def test_an_uncopyable_value_names_its_field(bql_held):
    import threading

    dev = Counter()
    with pytest.raises(ValueError) as info:
        dev.load_state({"pos": threading.Lock(), "fifo": [0, 0, 0, 0]})
    assert str(info.value) == (
        "invalid migration state for Counter: field 'pos' cannot be copied: "
        "TypeError(\"cannot pickle '_thread.lock' object\")"
    )


def test_loading_over_a_borrowed_cell_raises_borrow_error_and_writes_nothing(bql_held):
    # rt14 #03: `pos` comes first; it must not be written before `fifo` turns out borrowed.
    dev = Counter()
    guard = dev.fifo.borrow()
    with pytest.raises(bql.BorrowError, match=r"^cannot borrow_mut\(\) BqlRefCell\[list\]"):
        dev.load_state({"pos": 2, "fifo": [1, 1, 1, 1]})
    assert dev.pos.get() == 0
    assert guard == [0, 0, 0, 0]
    guard.release()


def test_an_override_failing_half_way_with_any_error_is_rolled_back(bql_held):
    # rt14 #03: not only ValueError, KeyError, TypeError and IndexError.
    class Partial(Counter):
        def apply_state(self, state):
            self.pos.set(state["pos"])
            raise RuntimeError("device bug")

    dev = Partial()
    dev.pos.set(3)
    with pytest.raises(ValueError) as info:
        dev.load_state({"pos": 1, "fifo": [0, 0, 0, 0]})
    assert str(info.value) == "invalid migration state for Partial: RuntimeError('device bug')"
    assert type(info.value.__cause__) is RuntimeError
    assert dev.pos.get() == 3


class Timers(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.counters = [bql.BqlCell(0) for _ in range(2)]  # one cell per timer
        self.mode = bql.BqlCell(0)
        self.banks = (bql.BqlRefCell([0]), [bql.BqlCell(0)])
        self.irqs = [bql.InterruptSource(), bql.InterruptSource()]  # outputs, not state


def test_cells_in_list_and_tuple_fields_round_trip(bql_held):
    # rt15 #05: a list of cells (SPEC §3.1.1) is state, saved under its field's name as a
    # list of values, as QEMU saves an array field (and PL011's `read_fifo`).
    dev = Timers()
    dev.realize()
    dev.counters[0].set(41)
    dev.counters[1].set(42)
    dev.mode.set(1)
    with dev.banks[0].borrow_mut() as bank:
        bank.append(7)
    dev.banks[1][0].set(3)
    state = dev.save_state()
    assert state == {"counters": [41, 42], "mode": 1, "banks": [[0, 7], [3]]}
    other = Timers()
    other.realize()
    other.load_state(state)
    assert [cell.get() for cell in other.counters] == [41, 42]
    assert (other.banks[0].borrow().value, other.banks[1][0].get()) == ([0, 7], 3)
    assert other.save_state() == state
    other.load_state({"counters": (1, 2), "mode": 0, "banks": ([5], [6])})  # tuples too
    assert other.save_state() == {"counters": [1, 2], "mode": 0, "banks": [[5], [6]]}


@pytest.mark.parametrize(
    ("counters", "message"),
    [
        ([1], "field 'counters' holds 2 cells, so its state is a list of 2 values, not [1]"),
        (5, "field 'counters' holds 2 cells, so its state is a list of 2 values, not 5"),
    ],
)
def test_a_list_of_cells_with_a_state_of_another_shape_is_refused_whole(bql_held, counters, message):
    dev = Timers()
    dev.counters[1].set(9)
    with pytest.raises(ValueError) as info:
        dev.load_state({"counters": counters, "mode": 4, "banks": [[1], [1]]})
    assert str(info.value) == f"invalid migration state for Timers: {message}"
    assert dev.save_state() == {"counters": [0, 9], "mode": 0, "banks": [[0], [0]]}
    with pytest.raises(ValueError) as info:
        dev.load_state({"counters": [1, 2], "mode": 4, "banks": [[1], []]})
    assert str(info.value) == (
        "invalid migration state for Timers: field 'banks[1]' holds 1 cells, so its state is"
        " a list of 1 values, not []"
    )
    assert dev.save_state() == {"counters": [0, 9], "mode": 0, "banks": [[0], [0]]}


def test_loading_over_a_borrowed_cell_in_a_list_writes_nothing(bql_held):
    dev = Timers()
    guard = dev.banks[0].borrow()
    with pytest.raises(bql.BorrowError):
        dev.load_state({"counters": [1, 2], "mode": 4, "banks": [[1], [1]]})
    guard.release()
    assert dev.save_state() == {"counters": [0, 0], "mode": 0, "banks": [[0], [0]]}


def test_a_list_mixing_cells_and_other_values_is_refused_not_skipped(bql_held):
    class Mixed(bql.Device):
        def __init__(self) -> None:
            super().__init__()
            self.channels = [bql.BqlCell(0), "label"]

    with pytest.raises(TypeError) as info:
        Mixed().save_state()
    assert str(info.value) == (
        "Mixed.channels mixes cells with other values (channels[1] is 'label'): the default"
        " save_state()/apply_state() cannot migrate it; keep the cells in a list of their own,"
        " or override both"
    )
    with pytest.raises(TypeError):
        Mixed().load_state({"channels": [0, "label"]})


def test_save_and_load_need_the_bql():
    dev = Counter()
    with pytest.raises(bql.BqlNotHeldError):
        dev.save_state()
    with pytest.raises(bql.BqlNotHeldError):
        dev.load_state({"pos": 0, "fifo": [0, 0, 0, 0]})


def test_cell_fields_may_be_rebound_until_realize():
    dev = Uart()
    dev.count = bql.BqlCell(5)  # still being built
    with bql.locked():
        dev.realize()
        assert dev.count.get() == 5


@pytest.mark.parametrize("field", ["count", "regs", "irq"])
def test_a_realized_device_refuses_to_rebind_or_delete_a_cell_field(bql_held, field):
    dev = Uart()
    dev.realize()
    with pytest.raises(
        bql.BqlError, match=f"cannot rebind `{field}` of a realized Uart"
    ):
        setattr(dev, field, 3)
    with pytest.raises(bql.BqlError, match=f"cannot rebind `{field}`"):
        delattr(dev, field)
    assert isinstance(
        getattr(dev, field), (bql.BqlCell, bql.BqlRefCell, bql.InterruptSource)
    )


def test_a_realized_device_still_accepts_other_attributes_and_properties(bql_held):
    class WithProperty(Uart):
        @property
        def speed(self) -> int:
            return self.count.get()

        @speed.setter
        def speed(self, value: int) -> None:
            self.count.set(value)

    dev = WithProperty()
    dev.realize()
    dev.speed = 9
    dev.label = "uart0"  # not a cell: left to bqlint (BQL001)
    assert (dev.speed, dev.label) == (9, "uart0")


def test_with_checks_off_rebinding_a_cell_is_still_refused(bql_held):
    # SPEC §2.3.1 marks only BQL001's twin "(checks on)": BQL007's is raised either way.
    dev = Uart()
    dev.realize()
    bql.set_checks(False)
    with pytest.raises(CellRebindingError) as caught:
        dev.count = bql.BqlCell(1)
    assert caught.value.rule == "BQL007"
    with pytest.raises(CellRebindingError):
        del dev.count

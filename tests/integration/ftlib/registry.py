"""Case registry: each tests/integration/cases/test_*.py module registers
its cases, in the order they should run, with @case("name") or
add(name, fn)."""

CASES = []  # (name, fn)


def add(name, fn):
    if any(n == name for n, _ in CASES):
        raise ValueError("duplicate case name %r" % name)
    CASES.append((name, fn))


def case(name):
    def deco(fn):
        add(name, fn)
        return fn

    return deco

"""A small order-processing program traced by `make demo`.

It has what a real service has: a class, a generator, recursion, an
exception caught a level up, and a worker thread.
"""
import json
import threading

ORDERS = '[{"id": 1, "items": [3, 4]}, {"id": 2, "items": []}, {"id": 3, "items": [5]}]'


class Inventory:
    def __init__(self):
        self.stock = {3: 10, 4: 0, 5: 7}

    def reserve(self, item):
        if self.stock.get(item, 0) == 0:
            raise LookupError("item %d is out of stock" % item)
        self.stock[item] -= 1


def parse(text):
    return json.loads(text)


def items_of(orders):
    for order in orders:
        for item in order["items"]:
            yield order["id"], item


def price(item):
    return 100 if item < 2 else price(item - 1) + item


def fulfil(inventory, orders):
    total = 0
    for order_id, item in items_of(orders):
        try:
            inventory.reserve(item)
            total += price(item)
        except LookupError:
            pass
    return total


def audit(orders):
    return sum(len(order["items"]) for order in orders)


def main():
    orders = parse(ORDERS)
    worker = threading.Thread(target=audit, args=(orders,), name="auditor")
    worker.start()
    total = fulfil(Inventory(), orders)
    worker.join()
    return total


main()

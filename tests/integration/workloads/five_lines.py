def f(x):
    return x + 1
def g():
    return [f(i) for i in range(3)]
g()

import random
r = random.Random(17)
d = "z/"
open(d+"text.txt","wb").write(b"".join(b"line %05d of a compressible file\n" % i for i in range(4000)))
open(d+"mixed.bin","wb").write(r.randbytes(20000) + bytes(100000) + r.randbytes(10000))
open(d+"random.bin","wb").write(r.randbytes(20000))
open(d+"small.txt","wb").write(b"tiny " * 50)
open(d+"zeros-then-end.bin","wb").write(bytes(300000) + b"end")

"""Mints JWTs with PyJWT, for test/python.test.ts.

stdin:  a JSON list of {"alg", "key" (PEM private key or shared secret), "payload", "headers"}
stdout: a JSON list of tokens, in the same order
"""
import json
import sys

import jwt


def main():
    jobs = json.load(sys.stdin)
    tokens = [jwt.encode(job['payload'], job['key'], algorithm=job['alg'], headers=job.get('headers')) for job in jobs]
    json.dump(tokens, sys.stdout)


if __name__ == '__main__':
    main()

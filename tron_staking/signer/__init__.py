"""Signing keys: encrypted at rest under a key-encryption key, decrypted only to sign.

Modules: ``ports`` (the Signer and KeyVault Protocols, the stored key shape), ``kek`` (loading
the key-encryption key), ``sealing`` (AES-256-GCM at rest), ``secp256k1`` (TRON keys,
addresses and signatures), ``keystore`` (the Signer over a KeyVault).
"""

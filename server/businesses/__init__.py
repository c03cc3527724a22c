"""Caring businesses 爱心商户: storefronts of a community that take on residents' wishes.

Community staff register a storefront as a caring business and name the account
that speaks for it (its contact); that contact, or staff recording a claim the
business phoned in, may claim wishes in the business's name.
"""

"""The member and supplier pages, split by audience: ``public`` (anyone), ``console``
(agency staff), ``portal`` (member users and supplier representatives)."""

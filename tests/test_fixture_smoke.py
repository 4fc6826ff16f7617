from edcoop.core import audit


def test_two_tenants_build_with_an_intact_audit_chain(north, nation):
    assert north.agency.institutions.count() == 2
    assert nation.supplier.agency == nation.agency
    assert audit.verify() == []

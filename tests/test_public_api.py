"""
The public surface is deliberate: these tests pin it.
"""

import dbdriver
from dbdriver import client, exceptions, testing


def test_package_exports() -> None:
    assert sorted(dbdriver.__all__) == sorted(
        [
            "BadFrame",
            "BadRequest",
            "Busy",
            "ConnectionLost",
            "ConstraintViolation",
            "DriverClient",
            "DriverClientFactory",
            "DriverClientProtocol",
            "DriverError",
            "DriverProcess",
            "DriverStartError",
            "Forbidden",
            "InternalError",
            "InvalidParams",
            "MessageTooLarge",
            "NoSuchColumn",
            "NoSuchTable",
            "QueueFull",
            "ReadOnly",
            "ReconnectingClient",
            "RequestTimeout",
            "ResultTooLarge",
            "SQLError",
            "ShuttingDown",
            "Transaction",
            "Unauthenticated",
            "Unavailable",
            "UnknownMethod",
            "UnknownTransaction",
            "__version__",
            "connect",
            "connect_endpoint",
        ]
    )
    for name in dbdriver.__all__:
        assert getattr(dbdriver, name) is not None


def test_every_protocol_error_code_has_its_class() -> None:
    assert exceptions.PROTOCOL_CODES == (
        "bad_frame",
        "message_too_large",
        "bad_request",
        "unknown_method",
        "invalid_params",
        "no_such_table",
        "no_such_column",
        "constraint_violation",
        "sql_error",
        "busy",
        "queue_full",
        "timeout",
        "unknown_transaction",
        "read_only",
        "forbidden",
        "result_too_large",
        "shutting_down",
        "internal",
        "unavailable",
        "unauthenticated",
    )
    for code in exceptions.PROTOCOL_CODES:
        error = exceptions.error_for_code(code, "m", {"k": 1})
        assert error.code == code
        assert error.to_wire() == {"code": code, "message": "m", "details": {"k": 1}}
        assert isinstance(error, exceptions.DriverError)


def test_unknown_code_keeps_the_code() -> None:
    error = exceptions.error_for_code("from_the_future", "later")
    assert type(error) is exceptions.DriverError
    assert error.code == "from_the_future"
    assert "later" in repr(error)


def test_client_and_testing_modules_export() -> None:
    assert "connect" in client.__all__
    assert testing.__all__ == ["RunningDriver", "start_driver"]


def test_the_wire_package_exports_its_modules_names() -> None:
    from dbdriver import wire
    from dbdriver.wire import cbor, envelope, framing, limits, results

    modules = (cbor, envelope, framing, limits, results)
    names = sorted(name for module in modules for name in module.__all__)
    assert sorted(wire.__all__) == names
    for name in wire.__all__:
        assert getattr(wire, name) is not None


def test_the_client_package_exports_its_modules_names() -> None:
    from dbdriver.client import api, params, protocol, reconnecting

    modules = (api, params, protocol, reconnecting)
    names = sorted(name for module in modules for name in module.__all__)
    assert sorted(client.__all__) == names
    for name in client.__all__:
        assert getattr(client, name) is not None
    for name in (
        "DriverClient",
        "ReconnectingClient",
        "Transaction",
        "connect",
        "connect_endpoint",
    ):
        assert getattr(client, name) is getattr(dbdriver, name)

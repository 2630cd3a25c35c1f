from ninja import Router

inbox_router = Router(tags=["inbox"])
calendar_router = Router(tags=["calendar"])

from ninja import NinjaAPI

api = NinjaAPI(title="EdCoop API", version="1", urls_namespace="api")

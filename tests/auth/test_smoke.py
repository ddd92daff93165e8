import httpx

from tests.support import SellerContext


async def test_api_key_opens_seller_profile(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.get("/api/v0/seller", headers=seller.headers)
    assert response.status_code == 200
    assert response.json()["payload"]["sellerId"] == seller.seller_id

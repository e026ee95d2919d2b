def test_login_and_list(client, auth, world):
    response = auth.login()
    assert response.status_code == 302
    world.analysed_case()
    page = client.get("/cases/")
    assert page.status_code == 200
    assert b"MST-" in page.data

from kokoma.services import analysis, reviews
def test_pages(client, auth, world):
    case = world.analysed_case(parties="Anwohnende, Jugendclub")
    auth.login()
    r = client.get(f"/cases/{case.id}")
    open("/tmp/s15/detail.html","w").write(r.get_data(as_text=True))
    assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = client.get(f"/cases/{case.id}/analysis/")
    open("/tmp/s15/page.html","w").write(r.get_data(as_text=True))
    assert r.status_code == 200, r.get_data(as_text=True)[-3000:]

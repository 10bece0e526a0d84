using Gateway.Tls;

namespace Gateway.Api;

internal static class TlsEndpoints
{
    public static RouteGroupBuilder MapTlsEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tls").WithTags("TLS");

        group.MapGet("/ca.pem", (GatewayCa ca) => Results.Text(ca.Pem, "application/x-pem-file"))
            .WithSummary("The gateway CA's certificate (PEM; never its key), for clients to trust: curl --cacert ca.pem, "
                + "Python ssl.create_default_context(cafile=...), openssl s_client -CAfile, or the OS store.")
            .Produces<string>(StatusCodes.Status200OK, "application/x-pem-file");

        group.MapGet("/ca.crt", (GatewayCa ca) => Results.File(ca.Der, "application/pkix-cert", "gateway-ca.crt"))
            .WithSummary("The gateway CA's certificate (DER), e.g. for an OS or browser certificate store.")
            .Produces(StatusCodes.Status200OK, contentType: "application/pkix-cert");
        return api;
    }
}

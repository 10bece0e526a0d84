# Socket Gateway: build with the SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -t socket-gateway .
#   docker run --rm -p 5080:5080 -p 12345:12345/tcp -p 12345:12345/udp -v gateway-data:/app/data \
#     -e Gateway__Auth__Keys__0__Name=admin -e Gateway__Auth__Keys__0__Role=admin -e Gateway__Auth__Keys__0__Key=<a long random key> \
#     -e AllowedHosts='localhost;<the name clients use>' socket-gateway
# HTTP is bound to every interface inside the container, so start-up refuses to run without an API key.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Gateway.sln ./
COPY src/ src/
COPY wwwroot/ wwwroot/
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The capture store (ConnectionStrings:Capture, default data/gateway.db) lives in a volume the app user owns.
RUN mkdir -p /app/data && chown app /app/data
VOLUME /app/data
# Inside a container, loopback is unreachable from the host: bind HTTP and both listeners to all interfaces.
ENV ASPNETCORE_URLS=http://0.0.0.0:5080 \
    Gateway__Listeners__0__Address=0.0.0.0 \
    Gateway__Listeners__1__Address=0.0.0.0
EXPOSE 5080 12345/tcp 12345/udp
USER app
ENTRYPOINT ["dotnet", "Gateway.dll"]

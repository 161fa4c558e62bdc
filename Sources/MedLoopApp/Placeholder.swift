import Hummingbird; import HummingbirdBcrypt; import Prometheus; import ServiceLifecycle; enum AppPlaceholder {}
